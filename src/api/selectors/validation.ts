// The pieces of apimachinery's pkg/util/validation and pkg/util/validation/field that selectors need, worded
// exactly as upstream v1.32 words them: label keys are "qualified names", label values a 63-character subset,
// and every problem is printed as field.Error prints itself ("values[0][app]: Invalid value: \"x y\": …").

const qnameCharFmt = "[A-Za-z0-9]";
const qnameExtCharFmt = "[-A-Za-z0-9_.]";
const qualifiedNameFmt = "(" + qnameCharFmt + qnameExtCharFmt + "*)?" + qnameCharFmt;
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameMaxLength = 63;
const qualifiedNameRegexp = new RegExp("^" + qualifiedNameFmt + "$");

const labelValueFmt = "(" + qualifiedNameFmt + ")?";
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueMaxLength = 63;
const labelValueRegexp = new RegExp("^" + labelValueFmt + "$");

const dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*";
const dns1123SubdomainErrorMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dns1123SubdomainMaxLength = 253;
const dns1123SubdomainRegexp = new RegExp("^" + dns1123SubdomainFmt + "$");

/** Go's len(string): UTF-8 bytes, which is what upstream's length limits count. */
const byteLength = (value: string): number => Buffer.byteLength(value, "utf8");

/** upstream's MaxLenError */
const maxLenError = (length: number): string => `must be no more than ${length} characters`;

/** upstream's RegexError: the message, examples, and the regular expression used. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return msg + " (regex used for validation is '" + fmt + "')";
  let out = msg + " (e.g. ";
  examples.forEach((example, i) => {
    if (i > 0) out += " or ";
    out += "'" + example + "', ";
  });
  return out + "regex used for validation is '" + fmt + "')";
}

/** IsDNS1123Subdomain: the problems with `value`, none when valid. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dns1123SubdomainMaxLength) errs.push(maxLenError(dns1123SubdomainMaxLength));
  if (!dns1123SubdomainRegexp.test(value))
    errs.push(regexError(dns1123SubdomainErrorMsg, dns1123SubdomainFmt, "example.com"));
  return errs;
}

/** IsQualifiedName: a label key, `[prefix/]name` with a DNS-1123 subdomain prefix and a name of at most 63. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  switch (parts.length) {
    case 1:
      name = parts[0];
      break;
    case 2: {
      const prefix = parts[0];
      name = parts[1];
      if (prefix.length === 0) errs.push("prefix part must be non-empty");
      else errs.push(...isDNS1123Subdomain(prefix).map((msg) => "prefix part " + msg));
      break;
    }
    default:
      return [
        "a qualified name " +
          regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc") +
          " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (byteLength(name) > qualifiedNameMaxLength) errs.push("name part " + maxLenError(qualifiedNameMaxLength));
  if (!qualifiedNameRegexp.test(name))
    errs.push("name part " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc"));
  return errs;
}

/** IsValidLabelValue: empty, or at most 63 characters of [-A-Za-z0-9_.] starting and ending alphanumeric. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > labelValueMaxLength) errs.push(maxLenError(labelValueMaxLength));
  if (!labelValueRegexp.test(value))
    errs.push(regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"));
  return errs;
}

/** Go's %q for a string: double-quoted with Go escapes (JSON's escapes agree for everything printable). */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code === 7) out += "\\a";
    else if (code === 8) out += "\\b";
    else if (code === 12) out += "\\f";
    else if (code === 11) out += "\\v";
    else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

/** Go's %#v for a []string, as field.Error printed list values in v1.32: []string{"a", "b"} or []string(nil). */
export function goStringSlice(values: readonly string[] | undefined): string {
  if (values === undefined) return "[]string(nil)";
  return "[]string{" + values.map(goQuote).join(", ") + "}";
}

/** A field.Error of type Invalid, printed as upstream prints it: `<field>: Invalid value: <value>: <detail>`. */
export function invalidValue(field: string, printedValue: string, detail: string): string {
  return `${field}: Invalid value: ${printedValue}: ${detail}`;
}

/** utilerrors.Aggregate's Error(): one message alone, several de-duplicated inside brackets. */
export function aggregate(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 1) return unique[0];
  return "[" + unique.join(", ") + "]";
}
