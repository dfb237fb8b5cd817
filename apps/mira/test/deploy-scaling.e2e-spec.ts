import { join } from 'node:path';
import {
  K8S_DIR,
  miraContainer,
  ofKind,
  parseDockerfile,
  readRepoFile,
  renderKustomize,
  single,
} from './support/deploy-manifests';

// The replica count has one owner, and prod does not ship a placeholder image by accident.

const PLACEHOLDER_IMAGE = /^ghcr\.io\/example\/mira(:|@|$)/;

describe.each(['dev', 'prod'])('%s overlay: replicas and image', (overlay) => {
  const objects = renderKustomize(join(K8S_DIR, 'overlays', overlay));
  const deployment = single(objects, 'Deployment', 'mira');

  it('the HPA owns the replica count: no replicas next to an HPA, a fixed one without', () => {
    const hpas = ofKind(objects, 'HorizontalPodAutoscaler');
    if (hpas.length > 0) expect(deployment.spec.replicas).toBeUndefined();
    else expect(deployment.spec.replicas).toBe(1);
  });

  if (overlay === 'prod')
    it('names a real image (the placeholder only with ALLOW_PLACEHOLDER_IMAGE)', () => {
      const image = miraContainer(deployment).image as string;
      if (process.env.ALLOW_PLACEHOLDER_IMAGE) expect(image).toMatch(/\//);
      else
        expect({ image, placeholder: PLACEHOLDER_IMAGE.test(image) }).toEqual({
          image,
          placeholder: false,
        });
    });
});

it('the base Deployment sets no replicas (the HPA in base owns them)', () => {
  const base = renderKustomize(join(K8S_DIR, 'base'));
  expect(ofKind(base, 'HorizontalPodAutoscaler')).toHaveLength(1);
  expect(single(base, 'Deployment', 'mira').spec.replicas).toBeUndefined();
});

it('the image carries the OCI labels from build args, the licence files and the mira CLI', () => {
  const { stages } = parseDockerfile(readRepoFile('Dockerfile'));
  const runtime = stages.at(-1)!;
  const labels = runtime.instructions
    .filter((i) => i.keyword === 'LABEL')
    .map((i) => i.args)
    .join(' ');
  const args = runtime.instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=')[0]);
  for (const [label, arg] of [
    ['source', 'SOURCE'],
    ['version', 'VERSION'],
    ['revision', 'REVISION'],
  ]) {
    expect(labels).toContain(`org.opencontainers.image.${label}="\${${arg}}"`);
    expect(args).toContain(arg);
  }
  expect(labels).toContain('org.opencontainers.image.licenses="Apache-2.0"');
  const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
  expect(copies).toContain('LICENSE NOTICE ./');
  expect(runtime.instructions.some((i) => /\/usr\/local\/bin\/mira/.test(i.args))).toBe(true);
});
