/**
 * npm runs a package's bin through `sh -c` (npx, npm exec, npm run). A
 * SIGTERM or SIGINT sent to npm reaches that shell, which dies without
 * passing it on, and the bin is left running with init as its parent: a
 * `lockstep serve` nobody can stop with the signal that started to stop it.
 * When npm started this process, its parent going away is taken as the signal
 * that did not arrive: the process sends itself SIGTERM, so that the
 * command's own handler (closing the server, flushing the log) runs.
 * Started any other way (a shell, nohup, systemd) nothing changes.
 */
export function stopWithNpmParent(intervalMs = 250): void {
  if (!process.env.npm_command && !process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  timer.unref();
}
