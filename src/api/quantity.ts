// resource.Quantity as upstream apimachinery (pkg/api/resource/quantity.go) parses, compares and prints it.
// Values are held exactly as a count of nano-units (10^-9), the finest precision upstream keeps: parsing
// rounds anything finer up (away from zero), as upstream does, so every value is exact in nano-units.
import type { FieldError } from "./field.js";

export type QuantityFormat = "DecimalExponent" | "BinarySI" | "DecimalSI";

export const quantityRegexpText = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
/** upstream's ErrFormatWrong */
export const errFormatWrong = `quantities must match the regular expression '${quantityRegexpText}'`;
/** upstream's ErrSuffix */
export const errSuffix = "unable to parse quantity's suffix";
/** upstream's ErrNumeric */
export const errNumeric = "unable to parse numeric part of quantity";

/** A string that is not a quantity. `message` is upstream's error text; `fieldError` names the field. */
export class QuantityError extends Error {
  readonly fieldError: FieldError;
  constructor(
    message: string,
    readonly text: string,
    field: string,
  ) {
    super(message);
    this.name = "QuantityError";
    this.fieldError = { type: "FieldValueInvalid", field, badValue: text, detail: message };
  }
}

const NANO = 1_000_000_000n;
const MAX_ALLOWED_NANO = 0x7fffffffffffffffn * NANO;
const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByExponent = new Map([[0, ""], ...Object.entries(binarySuffixes).map(([s, e]) => [e, s] as const)]);

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

interface Split {
  positive: boolean;
  /** integer digits without leading zeros ("0" when none) */
  num: string;
  /** fraction digits */
  denom: string;
  suffix: string;
}

/** upstream's parseQuantityString: a hand-written scanner with the same quirks ("-" and "." mean 0). */
function split(str: string): Split | undefined {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") pos++;
  while (pos < end && str[pos] === "0") pos++;
  if (pos >= end) return { positive, num: "0", denom: "", suffix: "" };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, num, denom: "", suffix: "" };
  pos = i;
  if (num === "") num = "0";
  let denom = "";
  if (str[pos] === ".") {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, num, denom, suffix: "" };
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && "eEinumkKMGTP".includes(str[pos])) pos++;
  if (pos < end && (str[pos] === "-" || str[pos] === "+")) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) return undefined;
  return { positive, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | undefined {
  if (suffix in decimalSuffixes) return { base: 10, exponent: decimalSuffixes[suffix], format: "DecimalSI" };
  if (suffix in binarySuffixes) return { base: 2, exponent: binarySuffixes[suffix], format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E") && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    // upstream keeps the exponent in an int32 it later negates: ±(2^31-1) and no further.
    if (Number.isSafeInteger(exponent) && Math.abs(exponent) <= 2 ** 31 - 1) {
      return { base: 10, exponent, format: "DecimalExponent" };
    }
  }
  return undefined;
}

/** Divides a positive-or-negative integer by 10 (or `base`) while it divides evenly. */
function removeFactors(value: bigint, base: bigint): { value: bigint; times: number } {
  let times = 0;
  if (value === 0n) return { value, times };
  while (value % base === 0n) {
    value /= base;
    times++;
  }
  return { value, times };
}

export class Quantity {
  private constructor(
    /** The value in units of 10^-9. */
    readonly nano: bigint,
    readonly format: QuantityFormat,
    /** The text as given, kept when upstream would keep it (it was already canonical). */
    private readonly cached?: string,
  ) {}

  /** "5Gi", "100M", "1.5", "500m", "1e3" → Quantity; anything else throws QuantityError naming `field`. */
  static parse(text: string, field = ""): Quantity {
    if (text.length === 0) throw new QuantityError(errFormatWrong, text, field);
    const parts = split(text);
    if (!parts) throw new QuantityError(errFormatWrong, text, field);
    const unit = interpretSuffix(parts.suffix);
    if (!unit) throw new QuantityError(errSuffix, text, field);
    const { positive, num, denom } = parts;
    const sign = positive ? 1n : -1n;

    // upstream's int64 fast path decides whether the input text is kept as the printed form.
    if (unit.base === 10) {
      const scale = unit.exponent - denom.length;
      const shifted = num + denom;
      // (Exponents past 10^1000 take the capped general path, so a tiny text cannot make a giant number.)
      if (num.length + denom.length <= 18 && scale >= -9 && scale <= 1000) {
        const digits = BigInt(shifted);
        const keep = scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
        return new Quantity(sign * digits * pow10(scale + 9), unit.format, keep ? text : undefined);
      }
    } else if (denom.length === 0) {
      const precision = 15 - num.length - Math.trunc((unit.exponent * 3) / 10) - 1;
      const digits = BigInt(num);
      const result = digits << BigInt(unit.exponent);
      if (precision >= 0 && result <= 0x7fffffffffffffffn) {
        const keep = (digits & 7n) !== 0n;
        return new Quantity(sign * result * NANO, unit.format, keep ? text : undefined);
      }
    }

    // The general path: exact decimal arithmetic, then round up to nano-units (away from zero), as upstream.
    const digits = BigInt(num + denom); // an exact integer: value = digits × 10^-denom.length × base^exponent
    if (digits === 0n) return new Quantity(0n, unit.format);
    const magnitude = num.length - (num === "0" ? 1 : 0) + (unit.base === 10 ? unit.exponent : unit.exponent / 3);
    if (magnitude > 40) return new Quantity(sign * MAX_ALLOWED_NANO, unit.format); // far past the cap
    if (magnitude < -40) return new Quantity(sign, "DecimalSI"); // far below 1n: rounds up to 1n
    let numerator = digits * NANO;
    let denominator = pow10(denom.length);
    if (unit.base === 10) {
      if (unit.exponent >= 0) numerator *= pow10(unit.exponent);
      else denominator *= pow10(-unit.exponent);
    } else numerator <<= BigInt(unit.exponent);
    let nano = numerator / denominator;
    if (numerator % denominator !== 0n) nano += 1n;
    // upstream caps the general path at 2^63-1 units (e.g. "9Ei").
    if (nano > MAX_ALLOWED_NANO) nano = MAX_ALLOWED_NANO;
    let format = unit.format;
    // A binary quantity below 1 cannot be written in Ki…; upstream switches it to DecimalSI.
    if (format === "BinarySI" && nano > 0n && nano < NANO) format = "DecimalSI";
    return new Quantity(sign * nano, format);
  }

  /** Whether `text` parses; for validators that only need a yes/no. */
  static isValid(text: string): boolean {
    try {
      Quantity.parse(text);
      return true;
    } catch {
      return false;
    }
  }

  /** upstream's NewQuantity(value, format): an integer count of units (e.g. bytes). */
  static fromValue(value: bigint | number, format: QuantityFormat = "BinarySI"): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  /** upstream's NewMilliQuantity. */
  static fromMilli(milli: bigint | number, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  static zero(format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(0n, format);
  }

  /** upstream's Value(): whole units, rounded up (away from zero). Bytes, for storage. */
  get value(): bigint {
    return Quantity.roundAway(this.nano, NANO);
  }

  /** upstream's MilliValue(): thousandths, rounded up (away from zero). */
  get milli(): bigint {
    return Quantity.roundAway(this.nano, 1_000_000n);
  }

  private static roundAway(nano: bigint, unit: bigint): bigint {
    const q = nano / unit;
    if (nano % unit === 0n) return q;
    return nano > 0n ? q + 1n : q - 1n;
  }

  isZero(): boolean {
    return this.nano === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nano < 0n ? -1 : this.nano > 0n ? 1 : 0;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nano < other.nano ? -1 : this.nano > other.nano ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.nano === other.nano;
  }

  /** upstream's Add: the sum keeps this quantity's format, or the other's when this one is zero. */
  add(other: Quantity): Quantity {
    return new Quantity(this.nano + other.nano, this.nano === 0n ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nano - other.nano, this.nano === 0n ? other.format : this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nano, this.format);
  }

  /** The canonical text, exactly as upstream's Quantity.String(). */
  toString(): string {
    if (this.cached !== undefined) return this.cached;
    if (this.nano === 0n) return "0";
    let format = this.format;
    if (format === "BinarySI") {
      // Below 1024 in magnitude, or not a whole number of units: upstream prints it as DecimalSI.
      if (this.nano > -1024n * NANO && this.nano < 1024n * NANO) format = "DecimalSI";
      else if (this.nano % NANO !== 0n) format = "DecimalSI";
    }
    if (format === "BinarySI") {
      const { value, times } = removeFactors(this.nano / NANO, 1024n);
      const suffix = binarySuffixByExponent.get(times * 10);
      // Past Ei there is no binary suffix: upstream falls back to exact exponent notation.
      if (suffix !== undefined) return `${value}${suffix}`;
    }
    const stripped = removeFactors(this.nano, 10n);
    let amount = stripped.value;
    let exponent = stripped.times - 9;
    while (exponent % 3 !== 0) {
      amount *= 10n;
      exponent--;
    }
    if (format === "DecimalSI") {
      const suffix = decimalSuffixByExponent.get(exponent);
      if (suffix !== undefined) return `${amount}${suffix}`;
      // Beyond "E" (10^18) DecimalSI has no suffix: upstream prints exponent notation rather than lose it.
    }
    return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Parses a quantity if it can; bad text becomes undefined (validation reports it separately). */
export function tryParseQuantity(text: string | undefined): Quantity | undefined {
  if (typeof text !== "string") return undefined;
  try {
    return Quantity.parse(text);
  } catch {
    return undefined;
  }
}
