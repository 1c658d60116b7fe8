/**
 * A small package for day-2 and console tests: phase `config` holds ConfigMap `settings` (`data.v` from config `v`),
 * phase `deploy` holds ConfigMap `gate`, whose availability probe passes only while config `ready` is "yes" (the
 * default); otherwise the rollout waits with "gate is not open".
 */
import { manifest } from './engine.js';

const CONFIG_SCHEMA = `  config:
    openAPIV3Schema:
      type: object
      properties:
        v: {type: string}
        ready: {type: string, default: "yes"}
`;

const GATE_PROBE = `  availabilityProbes:
    - selector:
        kind: {group: "", kind: ConfigMap}
        selector: {matchLabels: {gate: "yes"}}
      probes:
        - cel:
            rule: "self.data.ready == 'yes'"
            message: "gate is not open"
`;

/** The package folder (path → text) of the gated package named `name`. */
export function gatedPackage(name: string): Record<string, string> {
  return {
    'manifest.yaml': manifest(name, ['config', 'deploy'], CONFIG_SCHEMA + GATE_PROBE),
    'cm.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    package-operator.run/phase: config
data:
  v: "{{ .config.v }}"
`,
    'gate.yaml.gotmpl': `apiVersion: v1
kind: ConfigMap
metadata:
  name: gate
  labels: {gate: "yes"}
  annotations:
    package-operator.run/phase: deploy
data:
  ready: "{{ .config.ready }}"
`,
  };
}
