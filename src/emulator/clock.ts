/** Time source of the emulator; tests pass a fake one to expire tokens or roll rate-limit windows. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
