import { join } from 'node:path';
import { K8S_DIR, miraContainer, ofKind, renderKustomize, single } from './support/deploy-manifests';

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
