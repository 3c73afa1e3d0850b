// Section G of bench/run: the Node package's `verify`, called RUNS times in
// one process on FILE against the trust root TRUST (as section B calls the
// CLI). Prints one JSON line: the first call (which starts a worker thread
// and compiles the core modules) and the median of the rest, in
// microseconds, the first ten calls together (the first included), and
// the process's CPU time in all.
const [pkg, file, trustRoot, runs = '20'] = process.argv.slice(2);
const { verify } = await import(pkg);
const us = [];
for (let i = 0; i < Number(runs); i++) {
  const t0 = performance.now();
  await verify({ artifact: file, trustRoot });
  us.push(Math.round((performance.now() - t0) * 1000));
}
const rest = us.slice(1).sort((a, b) => a - b);
const cpu = process.cpuUsage();
console.log(
  JSON.stringify({
    first_us: us[0],
    first10_us: us.slice(0, 10).reduce((a, b) => a + b, 0),
    median_us: rest[Math.floor(rest.length / 2)] ?? us[0],
    cpu_us: cpu.user + cpu.system,
  }),
);
