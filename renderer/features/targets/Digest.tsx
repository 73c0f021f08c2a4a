/**
 * An image digest, short (`sha256:0123456789ab`) with the full reference on hover and on keyboard
 * focus, so a user can compare what runs on two targets byte for byte.
 */
import { useState } from 'react';
import { digestOf } from './words';

export function Digest({ image }: { image: string }) {
  const [full, setFull] = useState(false);
  const digest = digestOf(image);
  const short = digest ? digest.slice(0, 'sha256:'.length + 12) : image;
  return (
    <code
      className="tg-digest"
      tabIndex={0}
      title={image}
      aria-label={`image ${image}`}
      data-testid="digest"
      onMouseEnter={() => setFull(true)}
      onMouseLeave={() => setFull(false)}
      onFocus={() => setFull(true)}
      onBlur={() => setFull(false)}
    >
      {full ? image : short}
    </code>
  );
}
