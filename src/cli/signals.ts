// How a long-running command ends: on the first SIGINT (Ctrl-C) or SIGTERM it runs its stop steps once and resolves
// when they are done, whatever they throw (a failed step is reported, not a reason to hang on exit).
export function untilStopSignal(stop: () => Promise<unknown>): Promise<void> {
  return new Promise<void>((done) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      stop().then(
        () => done(),
        (err: unknown) => {
          console.error(err);
          done();
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
