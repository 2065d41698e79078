import { parseYamlDocuments } from '../../helpers/mini-yaml';

test('parses the block YAML subset the manifests use', () => {
  const text = [
    '# comment',
    'a: 1',
    'b: "x # y"',
    "c: 'it''s'",
    'list:',
    '- one',
    '- k: v',
    '  k2: v2',
    'nested:',
    '  seq:',
    '    - x',
    '  empty: []',
    '  flag: true',
    'lit: |',
    '  {',
    '    "a": 1  # kept',
    '',
    '  }',
    'after: z',
    '---',
    'second: doc',
  ].join('\n');
  expect(parseYamlDocuments(text)).toEqual([
    {
      a: 1,
      b: 'x # y',
      c: "it's",
      list: ['one', { k: 'v', k2: 'v2' }],
      nested: { seq: ['x'], empty: [], flag: true },
      lit: '{\n  "a": 1  # kept\n\n}\n',
      after: 'z',
    },
    { second: 'doc' },
  ]);
});

test('refuses what it does not understand', () => {
  expect(() => parseYamlDocuments('a: &anchor x')).toThrow(/unsupported/);
  expect(() => parseYamlDocuments('a: 1\na: 2')).toThrow(/duplicate/);
  expect(() => parseYamlDocuments('a: 1\n  b: 2')).toThrow();
});
