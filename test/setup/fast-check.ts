import fc from 'fast-check';

// Property tests run on a fixed seed so a CI run is repeatable; FC_SEED=random (or a number)
// explores other inputs locally. A failure prints the seed and path to replay it.
const configured = process.env.FC_SEED;
const seed = configured === undefined ? 20261126 : configured === 'random' ? Date.now() ^ Math.floor(Math.random() * 2 ** 31) : Number(configured);
fc.configureGlobal({ seed });
