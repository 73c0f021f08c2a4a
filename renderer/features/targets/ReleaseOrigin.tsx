/**
 * In the Releases tab: for a release promoted from another target, where it came from and the image
 * digest it runs; for any release with a build, that build's image digest.
 */
import { useEffect, useState } from 'react';
import { BuildSchema, page } from '../../../main/contract/responses';
import { get } from '../../src/api';
import { Digest } from './Digest';
import { promotedFrom } from './words';

/** The image of each build of an app, by build uuid (loaded once per app and release count). */
export function useBuildImages(app: string, releases: number): Record<string, string> {
  const [images, setImages] = useState<Record<string, string>>({});
  useEffect(() => {
    let stopped = false;
    void get(`/v2/apps/${encodeURIComponent(app)}/builds/?limit=100`, page(BuildSchema))
      .then((list) => {
        if (!stopped) setImages(Object.fromEntries(list.results.map((b) => [b.uuid, b.image])));
      })
      .catch(() => undefined);
    return () => {
      stopped = true;
    };
  }, [app, releases]);
  return images;
}

export function ReleaseOrigin({ summary, image }: { summary: string; image: string | undefined }) {
  const origin = promotedFrom(summary);
  if (!origin && !image) return null;
  return (
    <div className="small tg-origin" data-testid="release-origin">
      {origin && (
        <span>
          Promoted from v{origin.version} on <strong>{origin.target}</strong>
          {image ? ' · ' : ''}
        </span>
      )}
      {image && (
        <span>
          image <Digest image={image} />
        </span>
      )}
    </div>
  );
}
