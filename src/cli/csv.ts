/**
 * A small RFC 4180 CSV reader fed one line at a time (so a huge file streams):
 * quoted fields may hold commas, doubled quotes and line breaks. The first
 * record is the header; each later record becomes an object keyed by it.
 */

/** A bad record's text is kept up to this long: one whose quote never closes runs to the end of the input. */
const RAW_KEPT = 1024;

export class CsvRecords {
  #header: string[] | undefined;
  #fields: string[] = [];
  #field = '';
  #inQuotes = false;
  #startLine = 0;
  /** The record's text as read (its first RAW_KEPT characters), for the failed item's `input`. */
  #raw = '';

  /**
   * Feeds one physical line (without its line break). Returns the finished
   * record as an object (as its fields in column order with `asFields`, for
   * `--spread`), `undefined` while a quoted field continues on the next line
   * or for the header, or throws with what is wrong.
   */
  push(line: string, lineNo: number, asFields = false): Record<string, string> | string[] | undefined {
    if (!this.#inQuotes) { this.#startLine = lineNo; this.#fields = []; this.#field = ''; this.#raw = ''; }
    else this.#field += '\n';
    if (this.#raw.length < RAW_KEPT) this.#raw = (this.#raw ? `${this.#raw}\n${line}` : line).slice(0, RAW_KEPT);
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (this.#inQuotes) {
        if (c === '"' && line[i + 1] === '"') { this.#field += '"'; i++; }
        else if (c === '"') this.#inQuotes = false;
        else this.#field += c;
      } else if (c === '"' && this.#field === '') {
        this.#inQuotes = true;
      } else if (c === ',') {
        this.#fields.push(this.#field);
        this.#field = '';
      } else {
        this.#field += c;
      }
    }
    if (this.#inQuotes) return undefined;
    this.#fields.push(this.#field);
    const fields = this.#fields;
    if (!this.#header) {
      this.#header = fields;
      return undefined;
    }
    if (fields.length !== this.#header.length) {
      throw new Error(`expected ${this.#header.length} fields (as in the header), got ${fields.length}`);
    }
    if (asFields) return fields;
    const rec: Record<string, string> = {};
    this.#header.forEach((name, i) => { rec[name] = fields[i]!; });
    return rec;
  }

  /** Line where the record being read started (for error messages). */
  get startLine(): number {
    return this.#startLine;
  }

  /** The text of the record being read (cut at RAW_KEPT characters): what a bad record's item shows as its input. */
  get text(): string {
    return this.#raw;
  }

  /** True when the input ended inside a quoted field. */
  get unterminated(): boolean {
    return this.#inQuotes;
  }
}
