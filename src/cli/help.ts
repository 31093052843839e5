/** `forkpool run --help`. docs/cli.md has the details. */
export const RUN_HELP = `Usage: forkpool run <module>[#export] [inputs...] [options]
       forkpool run <module>[#export] [options] ::: a b c [::: 1 2 | :::+ x y z] [:::: file]

Runs an exported function of <module> once per input item in a process pool,
with a journal for resuming, a progress display and a final summary.

Input
  -a, --input FILE|-        items: one per line, JSON Lines, CSV or TSV rows (default: stdin,
                            or the inputs given after the module)
  ::: A B ... / :::: FILE   GNU parallel input sources; several combine as a cross product,
                            :::+ / ::::+ link a source to the one before (items are arrays)
  --format lines|jsonl|csv|tsv   default: from the extension (.jsonl/.ndjson, .csv, .tsv), else lines
  -0, --null                items are separated by NUL bytes, not line breaks
  -C, --colsep SEP          split each line into an array of fields on SEP
  --header                  the first line (or value of each :::) names the fields: items are objects
  --spread                  call f(...item): a row's fields, a --colsep array, a JSON array or one value
                            per ::: source become separate parameters (a starmap)
  --dry-run                 print the calls that would run, run nothing

Output
  (no -o)                   each value on stdout, one per line; failures in the summary
  --output-format raw|json  raw: strings as they are, the rest JSON (default); json: all JSON
  -o, --output FILE|-       results as JSON Lines: {"key","input","ok","value"|"error","ms","worker"}
  -k, --keep-order          results in input order (default: as they finish)

Pool
  -j, --processes, --jobs N|N%|+N|-N|0   workers (default and 0: the number of cores; -1: all but one)
  --runtime process|thread     default: process
  --chunksize N|auto           items per message to a worker (default: auto)
  --max-tasks-per-child N      replace a worker after N tasks
  --concurrency N              items each worker runs at once (default 1), for async I/O tasks
  --timeout DURATION           per item, e.g. 30s, 500ms, 2m (a bare number is seconds)
  --retries N                  re-run a failed item up to N times (default: crashes only)
  --retry-on error,crash,timeout   which failures --retries re-runs
  --delay DURATION             at least this long between two starts
  --max-rate N/s|N/m|N/h       at most this many starts per second (minute, hour)
  --max-memory SIZE            recycle a worker whose memory passes SIZE, e.g. 512MB
  --redis URL --queue NAME     run the items on forkpool worker nodes instead of local workers
                               (-j, --runtime, --max-memory go to forkpool worker then)
  --module-version V           with --redis: the nodes' --module-version

Journal
  --journal FILE            default: <output>.journal when --output is a regular file
  --resume                  continue from the journal: recorded items (failed ones too) are not run again
  --resume-failed           continue from the journal, running its failed items again
  --force                   start over, discarding the journal
  --halt never|now|soon,fail|success|done=N|N%   stop early (e.g. now,fail=1, soon,success=1)

Display
  --progress / --no-progress   progress on stderr (default: on; a bar on a terminal,
                               a status line every few seconds otherwise)
  --report FILE.html        write a self-contained HTML report of the run
  -q, --quiet               no progress and no summary
  --json-summary            the summary as JSON: on stdout with -o FILE, else on stderr

Exit codes: 0 all succeeded; 1-100 that many items failed; 101 more failed;
102 Redis lost the run's data (--redis; resume it); 130 interrupted (Ctrl-C);
141 stdout closed by its reader; 255 usage or file system error.
Details: docs/cli.md`;
