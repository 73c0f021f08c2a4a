/** Random `adjective-noun` app names, as Deis gives when `apps:create` has no name. */
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'ancient', 'amber', 'autumn', 'billowing', 'bitter', 'black', 'blue', 'bold', 'brave', 'breezy', 'bright',
  'brisk', 'calm', 'careful', 'clever', 'cold', 'cool', 'crimson', 'curly', 'damp', 'dapper', 'dark', 'dawn',
  'delicate', 'divine', 'dry', 'dusty', 'eager', 'early', 'empty', 'fading', 'fancy', 'flat', 'floral',
  'fragrant', 'frosty', 'gentle', 'gilded', 'glad', 'golden', 'green', 'hidden', 'holy', 'humble', 'icy',
  'jolly', 'kind', 'lasting', 'late', 'lazy', 'little', 'lively', 'long', 'lucky', 'lunar', 'magic', 'merry',
  'misty', 'modest', 'morning', 'muddy', 'nameless', 'noble', 'old', 'orange', 'patient', 'plain', 'polished',
  'proud', 'purple', 'quiet', 'rapid', 'red', 'restless', 'rough', 'round', 'royal', 'rustic', 'shiny',
  'shy', 'silent', 'skiing', 'small', 'snowy', 'soft', 'solitary', 'sparkling', 'spring', 'steady', 'still',
  'stormy', 'sturdy', 'summer', 'sunny', 'swift', 'tame', 'tender', 'tidy', 'tiny', 'twilight', 'wandering',
  'warm', 'weathered', 'white', 'wild', 'winter', 'wispy', 'withered', 'yellow', 'young', 'zesty',
];

const NOUNS = [
  'airfield', 'anchor', 'apple', 'badger', 'bagpipe', 'bakery', 'banjo', 'beacon', 'biplane', 'blizzard',
  'boulder', 'breeze', 'brook', 'bubble', 'butterfly', 'cabin', 'cactus', 'canyon', 'castle', 'cedar',
  'chipmunk', 'cloud', 'comet', 'compass', 'coral', 'cottage', 'crater', 'creek', 'dawn', 'desert', 'dew',
  'dolphin', 'dragonfly', 'dune', 'dust', 'eagle', 'ember', 'falcon', 'feather', 'fern', 'field', 'firefly',
  'flower', 'fog', 'forest', 'fountain', 'frog', 'gadget', 'garden', 'glacier', 'grass', 'harbor', 'haze',
  'heron', 'hill', 'island', 'jigsaw', 'keypunch', 'kettle', 'lagoon', 'lake', 'lantern', 'leaf', 'lighthouse',
  'meadow', 'meteor', 'mirror', 'moon', 'morning', 'mountain', 'narwhal', 'night', 'oak', 'ocean', 'orchard',
  'otter', 'paper', 'pebble', 'penguin', 'pine', 'pond', 'prairie', 'quasar', 'rain', 'raven', 'reef', 'ridge',
  'river', 'rocket', 'sailboat', 'sea', 'shadow', 'shell', 'sky', 'snowflake', 'sparrow', 'spruce', 'star',
  'stone', 'sun', 'sunset', 'teapot', 'thunder', 'tulip', 'valley', 'violet', 'volcano', 'walrus', 'water',
  'waterfall', 'wave', 'willow', 'wind', 'wombat', 'yak', 'zeppelin',
];

export function randomAppName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}`;
}
