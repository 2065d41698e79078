import { renderNetworkConfig, renderTemplate, TemplateError, templateVariables } from '../../../lib/cli/template';

const CONFLIST =
  '{"cniVersion":"1.0.0","name":"k8s","plugins":[{"type":"bridge","ipam":{"type":"host-local","ranges":[[{"subnet":"${NODE_POD_CIDR}"}]]}}]}';

describe('renderTemplate', () => {
  test('fills in every ${NAME} from the environment', () => {
    expect(renderTemplate('${A}-${B}-${A}', { A: 'x', B: 'y' })).toBe('x-y-x');
  });

  test('leaves other dollar signs alone', () => {
    expect(renderTemplate('$A ${ $$ ${1X} cost: $5', { A: 'x' })).toBe('$A ${ $$ ${1X} cost: $5');
  });

  test('names every unset or empty variable at once', () => {
    expect(() => renderTemplate('${NODE_POD_CIDR} ${NODE_NAME} ${SET}', { NODE_NAME: '', SET: 'v' })).toThrow(
      new TemplateError('the config refers to ${NODE_POD_CIDR}, ${NODE_NAME}, which are not set in the environment'),
    );
  });

  test('escapes a value so that it cannot leave its JSON string', () => {
    const out = renderTemplate('{"subnet":"${V}"}', { V: '10.0.0.0/24","type":"evil\\' });
    expect(JSON.parse(out)).toEqual({ subnet: '10.0.0.0/24","type":"evil\\' });
  });

  test('lists the variables in order of first use', () => {
    expect(templateVariables('${B} ${A} ${B}')).toEqual(['B', 'A']);
  });
});

describe('renderNetworkConfig', () => {
  test('renders a conflist per node and ends it with a newline', () => {
    const out = renderNetworkConfig(CONFLIST, { NODE_POD_CIDR: '10.244.3.0/24' }, 'cm');
    expect(out.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out).plugins[0].ipam.ranges[0][0].subnet).toBe('10.244.3.0/24');
  });

  test('rejects what is no network config', () => {
    expect(() => renderNetworkConfig('{"name":', {}, 'cm')).toThrow(/cm is not valid JSON/);
    expect(() => renderNetworkConfig('[]', {}, 'cm')).toThrow('cm is not a JSON object');
    expect(() => renderNetworkConfig('{"plugins":[]}', {}, 'cm')).toThrow('cm has no "name"');
    expect(() => renderNetworkConfig('{"name":"n"}', {}, 'cm')).toThrow(/neither a conflist/);
  });
});
