/**
 * One word of a command line printed for a person to paste into a POSIX
 * shell: left bare when it is plainly safe, else single-quoted (a path with a
 * space, a queue name with `$`).
 */
export function shellQuote(word: string): string {
  return /^[\w./#%=:@+,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
