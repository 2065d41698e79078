// Reading `iptables-save -t <table>` output and writing `iptables-restore` input. Both use the
// same argument syntax: words separated by blanks, double quotes group words, and inside quotes a
// backslash takes the next character literally.

export interface SavedRule {
  chain: string;
  /** The rule's arguments after `-A <chain>`, unquoted. */
  args: string[];
}

export interface SavedTable {
  /** Every chain the table declares, built-in and user-defined. */
  chains: Set<string>;
  /** Rules in the order iptables evaluates them within each chain. */
  rules: SavedRule[];
}

export function splitRestoreWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '\\' && i + 1 < line.length) {
      word += line[++i];
    } else if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && (c === ' ' || c === '\t')) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** One argument as iptables-restore reads it back unchanged. */
export function quoteRestoreWord(word: string): string {
  if (word !== '' && /^[^\s"\\']+$/.test(word)) return word;
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function restoreLine(words: readonly string[]): string {
  return words.map(quoteRestoreWord).join(' ');
}

/** Parses the one table printed by `iptables-save -t <table>`. */
export function parseIptablesSave(text: string): SavedTable {
  const table: SavedTable = { chains: new Set(), rules: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith(':')) {
      table.chains.add(line.slice(1).split(/\s+/)[0]);
    } else if (line.startsWith('-A ')) {
      const words = splitRestoreWords(line);
      table.rules.push({ chain: words[1], args: words.slice(2) });
    }
  }
  return table;
}

/** The value following `option` in a rule, if present. */
export function ruleOption(rule: SavedRule, option: string): string | undefined {
  const i = rule.args.indexOf(option);
  return i >= 0 && i + 1 < rule.args.length ? rule.args[i + 1] : undefined;
}

/** Where a rule sends packets (`-j` or `-g`). */
export function ruleTarget(rule: SavedRule): string | undefined {
  return ruleOption(rule, '-j') ?? ruleOption(rule, '-g');
}

export function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}
