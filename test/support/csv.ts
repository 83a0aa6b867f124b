/**
 * Parses CSV text as RFC 4180 writes it (fields quoted with doubled quotes inside, CRLF or LF
 * between records) into rows of strings. A test's reader of the exports, written apart from the
 * writer so a quoting mistake in one is not mirrored by the other. Throws on a stray quote.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Error('CSV: a quoted field never closes');
        const c = text[i] as string;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      if (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') throw new Error(`CSV: text after a closing quote at ${i}`);
    } else {
      while (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`CSV: a quote inside an unquoted field at ${i}`);
        field += text[i];
        i++;
      }
    }
    row.push(field);
    if (i >= n) break;
    if (text[i] === ',') {
      i++;
      if (i >= n) row.push('');
      continue;
    }
    // End of record: CRLF or LF.
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    rows.push(row);
    row = [];
  }
  if (row.length > 0) rows.push(row);
  return rows;
}
