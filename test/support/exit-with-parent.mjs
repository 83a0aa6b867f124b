// Loaded (node --import) into every agent and relay a test starts: when the test runner that
// started it is gone (killed, or crashed before its afterEach), the process is reparented and
// would run on, holding ports and files. It checks its parent once a second and exits then.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
