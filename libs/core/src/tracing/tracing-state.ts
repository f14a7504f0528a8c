/** Whether the SDK runs in this process; its own module, so that checking it loads nothing. */
let enabled = false;

/** True once the SDK runs in this process: spans are recorded and exported. */
export function tracingEnabled(): boolean {
  return enabled;
}

export function setTracingEnabled(value: boolean): void {
  enabled = value;
}
