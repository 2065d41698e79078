// Just enough YAML for the manifests in deploy/kubernetes: block mappings and sequences (a
// sequence may sit at its key's indentation), `|` literal blocks, quoted and plain scalars, empty
// `[]` / `{}`, comments and `---`. Anything else throws, so a manifest never silently parses as
// something it is not.

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

interface Line {
  indent: number;
  text: string;
  no: number;
}

function scalar(raw: string, no: number): Value {
  const s = raw.trim();
  if (s.startsWith('"')) return JSON.parse(s) as string;
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`line ${no}: unterminated quote`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s === '[]') return [];
  if (s === '{}') return {};
  if (/^[[{&*!|>%@`]/.test(s)) throw new Error(`line ${no}: unsupported YAML "${s}"`);
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null' || s === '~') return null;
  if (/^-?\d+$/.test(s)) return Number(s);
  return s;
}

function stripComment(text: string): string {
  // A comment starts at " #" outside quotes; the manifests put no '#' inside plain scalars.
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ')) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

class Parser {
  private pos = 0;
  constructor(
    private readonly raw: string[],
    private readonly lines: Line[],
  ) {}

  done(): boolean {
    return this.pos >= this.lines.length;
  }

  block(indent: number): Value {
    const first = this.lines[this.pos];
    return first.text.startsWith('- ') || first.text === '-' ? this.sequence(indent) : this.mapping(indent);
  }

  private sequence(indent: number): Value[] {
    const out: Value[] = [];
    while (!this.done() && this.lines[this.pos].indent === indent && this.lines[this.pos].text.startsWith('-')) {
      const line = this.lines[this.pos];
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        this.pos++;
        out.push(this.block(this.lines[this.pos].indent));
      } else if (/^[^"'\s][^:]*:(\s|$)/.test(rest)) {
        // "- key: value" opens a mapping whose other keys sit under "key".
        const inner = indent + (line.text.length - rest.length);
        this.lines[this.pos] = { indent: inner, text: rest, no: line.no };
        out.push(this.mapping(inner));
      } else {
        this.pos++;
        out.push(scalar(rest, line.no));
      }
    }
    return out;
  }

  private mapping(indent: number): { [key: string]: Value } {
    const out: { [key: string]: Value } = {};
    while (!this.done() && this.lines[this.pos].indent === indent && !this.lines[this.pos].text.startsWith('- ')) {
      const line = this.lines[this.pos++];
      const m = /^([^"'\s][^:]*):(?:\s+(.*))?$/.exec(line.text);
      if (!m) throw new Error(`line ${line.no}: expected "key: value", got "${line.text}"`);
      const [, key, value] = m;
      if (key in out) throw new Error(`line ${line.no}: duplicate key ${key}`);
      if (value === '|') {
        out[key] = this.literal(indent, line.no);
      } else if (value !== undefined && value !== '') {
        out[key] = scalar(value, line.no);
      } else {
        const next = this.lines[this.pos];
        if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) out[key] = this.block(next.indent);
        else out[key] = null;
      }
    }
    if (!this.done() && this.lines[this.pos].indent > indent) throw new Error(`line ${this.lines[this.pos].no}: unexpected indentation`);
    return out;
  }

  // Literal blocks are read from the raw text: comments and blank lines inside belong to them.
  private literal(indent: number, keyNo: number): string {
    const body: string[] = [];
    let blockIndent = -1;
    let no = keyNo;
    for (; no < this.raw.length; no++) {
      const text = this.raw[no];
      if (text.trim() === '') {
        body.push('');
        continue;
      }
      const lineIndent = text.length - text.trimStart().length;
      if (blockIndent < 0) blockIndent = lineIndent;
      if (lineIndent < blockIndent || lineIndent <= indent) break;
      body.push(text.slice(blockIndent));
    }
    while (!this.done() && this.lines[this.pos].no <= no) this.pos++;
    while (body.length > 0 && body[body.length - 1] === '') body.pop();
    return `${body.join('\n')}\n`;
  }
}

/** The documents of a YAML stream, in order. */
export function parseYamlDocuments(text: string): Value[] {
  const docs: Value[] = [];
  for (const doc of text.split(/^---\s*$/m)) {
    const raw = doc.split('\n');
    const lines: Line[] = [];
    raw.forEach((r, i) => {
      if (/\t/.test(r.slice(0, r.length - r.trimStart().length))) throw new Error(`line ${i + 1}: tab in indentation`);
      const text = stripComment(r);
      if (text.trim() !== '') lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), no: i + 1 });
    });
    if (lines.length === 0) continue;
    const parser = new Parser(raw, lines);
    docs.push(parser.block(lines[0].indent));
    if (!parser.done()) throw new Error('trailing content the parser did not understand');
  }
  return docs;
}
