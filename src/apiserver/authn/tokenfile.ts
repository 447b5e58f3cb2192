// --token-auth-file, in upstream's format: a CSV of token,user,uid[,"group1,group2"] (blank lines and lines
// starting with # ignored). Read once at start, as kube-apiserver does.
import { readFileSync } from "node:fs";
import { timingSafeEqual } from "node:crypto";
import { parse } from "csv-parse/sync";
import type { UserInfo } from "../../api/user.js";

export class TokenFileError extends Error {}

export class StaticTokens {
  private constructor(private readonly users: Map<string, UserInfo>) {}

  static parse(text: string, file = "token file"): StaticTokens {
    const records = parse(text, {
      relaxColumnCount: true,
      skipEmptyLines: true,
      comment: "#",
      trim: true,
    }) as string[][];
    const users = new Map<string, UserInfo>();
    records.forEach((record, i) => {
      const [token, name, uid, groups] = record;
      if (record.length < 3 || !token || !name) {
        throw new TokenFileError(
          `${file}, line ${i + 1}: want token,user,uid[,"group1,group2"], got ${record.length} column(s)`,
        );
      }
      if (users.has(token)) throw new TokenFileError(`${file}, line ${i + 1}: duplicate token`);
      const groupList = (groups ?? "")
        .split(",")
        .map((g) => g.trim())
        .filter(Boolean);
      users.set(token, { name, uid, groups: groupList });
    });
    return new StaticTokens(users);
  }

  static load(file: string): StaticTokens {
    return StaticTokens.parse(readFileSync(file, "utf8"), file);
  }

  /** The user a bearer token names, or undefined. Compared in constant time, as a secret should be. */
  authenticate(token: string): UserInfo | undefined {
    const given = Buffer.from(token);
    for (const [known, user] of this.users) {
      const candidate = Buffer.from(known);
      if (candidate.length === given.length && timingSafeEqual(candidate, given))
        return { ...user, groups: [...user.groups] };
    }
    return undefined;
  }
}
