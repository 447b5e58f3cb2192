// The label selector string grammar (kubectl's -l, the API's ?labelSelector=): upstream's lexer and
// recursive-descent parser from apimachinery's labels/selector.go, token for token, with its error texts.
import { SelectorParseError } from "./errors.js";
import { goQuote, invalidValue, isQualifiedName } from "./validation.js";
import {
  binaryOperators,
  compareStrings,
  newRequirement,
  type LabelOperator,
  type LabelRequirement,
} from "./requirement.js";

type Token = "error" | "end" | ")" | "," | "!" | "==" | "=" | ">" | "identifier" | "in" | "<" | "!=" | "notin" | "(";

const keywords = new Map<string, Token>([
  [")", ")"],
  [",", ","],
  ["!", "!"],
  ["==", "=="],
  ["=", "="],
  [">", ">"],
  ["in", "in"],
  ["<", "<"],
  ["!=", "!="],
  ["notin", "notin"],
  ["(", "("],
]);

interface Scanned {
  token: Token;
  literal: string;
}

const isWhitespace = (ch: string): boolean => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
const isSpecialSymbol = (ch: string): boolean => "=!(),><".includes(ch) && ch !== "";

function lex(text: string): Scanned[] {
  const items: Scanned[] = [];
  let pos = 0;
  // upstream reads bytes and uses 0 as "end of input", so a NUL character ends the selector too
  const read = (): string => (pos < text.length ? text[pos++] : "\0");
  const unread = (): void => {
    pos--;
  };
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === "\0") {
      items.push({ token: "end", literal: "" });
      return items;
    }
    unread();
    if (isSpecialSymbol(ch)) {
      let buffer = "";
      let last: Scanned | undefined;
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (!isSpecialSymbol(c)) {
          unread();
          break;
        }
        buffer += c;
        const token = keywords.get(buffer);
        if (token) last = { token, literal: buffer };
        else if (last) {
          unread();
          break;
        }
      }
      items.push(last ?? { token: "error", literal: `error expected: keyword found '${buffer}'` });
    } else {
      let buffer = "";
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (isSpecialSymbol(c) || isWhitespace(c)) {
          unread();
          break;
        }
        buffer += c;
      }
      items.push({ token: keywords.get(buffer) ?? "identifier", literal: buffer });
    }
  }
}

/** In a value position, "in" and "notin" are ordinary words ("env in (in)"). */
type Context = "keyAndOperator" | "values";

class Parser {
  private position = 0;
  constructor(private readonly items: Scanned[]) {}

  private lookahead(context: Context): Scanned {
    return this.adjust(this.items[this.position], context);
  }
  private consume(context: Context): Scanned {
    return this.adjust(this.items[this.position++], context);
  }
  private adjust(item: Scanned, context: Context): Scanned {
    if (context === "values" && (item.token === "in" || item.token === "notin"))
      return { token: "identifier", literal: item.literal };
    return item;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { token, literal } = this.lookahead("values");
      switch (token) {
        case "identifier":
        case "!": {
          try {
            requirements.push(this.parseRequirement());
          } catch (err) {
            if (err instanceof SelectorParseError)
              throw new SelectorParseError(`unable to parse requirement: ${err.message}`);
            throw err;
          }
          const next = this.consume("values");
          if (next.token === "end") return requirements;
          if (next.token === ",") {
            const after = this.lookahead("values");
            if (after.token !== "identifier" && after.token !== "!")
              throw new SelectorParseError(`found '${after.literal}', expected: identifier after ','`);
            break;
          }
          throw new SelectorParseError(`found '${next.literal}', expected: ',' or 'end of string'`);
        }
        case "end":
          return requirements;
        default:
          throw new SelectorParseError(`found '${literal}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    const { key, operator } = this.parseKeyAndInferOperator();
    if (operator === "exists" || operator === "!") return newRequirement(key, operator, [], "");
    const op = this.parseOperator();
    const values = op === "in" || op === "notin" ? this.parseValues() : this.parseExactValue();
    // upstream collects values in a sets.String and lists them sorted
    return newRequirement(key, op, [...values].sort(compareStrings), "");
  }

  private parseKeyAndInferOperator(): { key: string; operator?: LabelOperator } {
    let operator: LabelOperator | undefined;
    let item = this.consume("values");
    if (item.token === "!") {
      operator = "!";
      item = this.consume("values");
    }
    if (item.token !== "identifier") throw new SelectorParseError(`found '${item.literal}', expected: identifier`);
    const keyErrs = isQualifiedName(item.literal);
    // upstream validates the key here with a nil field path, which field.Error prints as "<nil>"
    if (keyErrs.length > 0)
      throw new SelectorParseError(invalidValue("<nil>", goQuote(item.literal), keyErrs.join("; ")));
    const next = this.lookahead("values").token;
    if ((next === "end" || next === ",") && operator !== "!") operator = "exists";
    return { key: item.literal, operator };
  }

  private parseOperator(): LabelOperator {
    const { token, literal } = this.consume("keyAndOperator");
    switch (token) {
      case "in":
        return "in";
      case "=":
        return "=";
      case "==":
        return "==";
      case ">":
        return "gt";
      case "<":
        return "lt";
      case "notin":
        return "notin";
      case "!=":
        return "!=";
      default:
        throw new SelectorParseError(`found '${literal}', expected: ${binaryOperators.join(", ")}`);
    }
  }

  private parseValues(): Set<string> {
    const open = this.consume("values");
    if (open.token !== "(") throw new SelectorParseError(`found '${open.literal}' expected: '('`);
    const { token, literal } = this.lookahead("values");
    switch (token) {
      case "identifier":
      case ",": {
        const values = this.parseIdentifiersList();
        if (this.consume("values").token !== ")") throw new SelectorParseError(`found '${literal}', expected: ')'`);
        return values;
      }
      case ")":
        this.consume("values");
        return new Set([""]); // "()" is the set holding the empty value
      default:
        throw new SelectorParseError(`found '${literal}', expected: ',', ')' or identifier`);
    }
  }

  /** A comma-separated list where empty entries are the empty value: "(a,,b)", "(,a)", "(a,)". */
  private parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { token, literal } = this.consume("values");
      if (token === "identifier") {
        values.add(literal);
        const next = this.lookahead("values");
        if (next.token === ",") continue;
        if (next.token === ")") return values;
        throw new SelectorParseError(`found '${next.literal}', expected: ',' or ')'`);
      } else if (token === ",") {
        if (values.size === 0) values.add("");
        const next = this.lookahead("values").token;
        if (next === ")") {
          values.add("");
          return values;
        }
        if (next === ",") values.add("");
      } else {
        throw new SelectorParseError(`found '${literal}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead("values").token;
    if (next === "end" || next === ",") return new Set([""]); // "env=" selects the empty value
    const { token, literal } = this.consume("values");
    if (token === "identifier") return new Set([literal]);
    throw new SelectorParseError(`found '${literal}', expected: identifier`);
  }
}

/** Parses selector text into requirements (unsorted); throws SelectorParseError worded as upstream. */
export function parseRequirements(text: string): LabelRequirement[] {
  return new Parser(lex(text)).parse();
}
