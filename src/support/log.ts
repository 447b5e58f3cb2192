// The one logging shape every part takes: a message and structured fields. Parts never pick a logger themselves;
// `cli` hands each one a Log that prefixes its component's name.
export type Log = (message: string, fields?: Record<string, unknown>) => void;
