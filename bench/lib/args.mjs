// Command-line options of bench/run.mjs.
const HELP = `usage: node bench/run.mjs [--repeats N] [--only W1,W3] [--libs id,id] [--quick] [--timeout SECONDS]`;

export function parseArgs(argv) {
  const opts = { repeats: 5, only: undefined, libs: undefined, quick: false, timeoutS: 300 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new Error(`${flag} needs a value\n${HELP}`);
      return argv[++i];
    };
    if (flag === '--repeats') opts.repeats = positiveInt(flag, value());
    else if (flag === '--only') opts.only = value().split(',').map((s) => s.trim().toUpperCase());
    else if (flag === '--libs') opts.libs = value().split(',').map((s) => s.trim());
    else if (flag === '--quick') opts.quick = true;
    else if (flag === '--timeout') opts.timeoutS = positiveInt(flag, value());
    else if (flag === '--help' || flag === '-h') throw new Error(HELP);
    else throw new Error(`unknown option ${flag}\n${HELP}`);
  }
  return opts;
}

function positiveInt(flag, raw) {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Expected ${flag} to be a positive integer, got ${raw}`);
  return n;
}
