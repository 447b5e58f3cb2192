// --container-log-max-size and --container-log-max-files, as the kubelet takes them (containerLogMaxSize, a
// quantity, default 10Mi; containerLogMaxFiles, default 5, at least 2 because the current file counts) for
// `stowage node` and `stowage up`. Refused at parse time with upstream's reason and what to give instead.
import { InvalidArgumentError, Option, type Command } from "commander";
import { Quantity, QuantityError } from "../api/quantity.js";
import { defaultLogRotation, type LogRotation } from "../node/runtime/process-log.js";

export function containerLogMaxSizeFlag(text: string): number {
  let size: bigint;
  try {
    size = Quantity.parse(text).value;
  } catch (err) {
    if (!(err instanceof QuantityError)) throw err;
    throw new InvalidArgumentError(
      `failed to parse container log max size ${JSON.stringify(text)}: ${err.message}; want a size such as 10Mi or 500Ki`,
    );
  }
  if (size <= 0n || size > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InvalidArgumentError(
      `container log max size ${JSON.stringify(text)} must be a positive size such as 10Mi`,
    );
  return Number(size);
}

export function containerLogMaxFilesFlag(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 2 || !Number.isSafeInteger(Number(text)))
    throw new InvalidArgumentError(
      `invalid configuration: containerLogMaxFiles (--container-log-max-files) ${JSON.stringify(text)} must be ` +
        `an integer equal to or greater than 2 (the current file counts as one)`,
    );
  return Number(text);
}

export interface ContainerLogFlags {
  containerLogMaxSize: number;
  containerLogMaxFiles: number;
}

/** Adds both flags with the kubelet's defaults. */
export function containerLogFlags(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--container-log-max-size <quantity>",
        "runtime process: a container's log is rotated when it would grow past this size",
      )
        .argParser(containerLogMaxSizeFlag)
        .default(defaultLogRotation.maxSize, "10Mi"),
    )
    .addOption(
      new Option(
        "--container-log-max-files <n>",
        "runtime process: how many log files a container keeps, the current one included (at least 2)",
      )
        .argParser(containerLogMaxFilesFlag)
        .default(defaultLogRotation.maxFiles),
    );
}

export const logRotationOf = (flags: ContainerLogFlags): LogRotation => ({
  maxSize: flags.containerLogMaxSize,
  maxFiles: flags.containerLogMaxFiles,
});
