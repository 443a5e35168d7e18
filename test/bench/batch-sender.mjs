// The batch load of section (d), in a worker thread of its own: building a 1,000-event body and
// parsing its answer hold a thread for several milliseconds, and a probe whose answer arrives
// meanwhile would count that wait against the collector. The prober's event loop only probes.
import { parentPort, workerData } from "node:worker_threads";
import { maxBatchRequest, postBatch } from "./workload.mjs";

let stop = false;
parentPort.on("message", (message) => {
  if (message === "stop") stop = true;
});
let next = workerData.firstBatch;
let events = 0;
try {
  while (!stop) {
    events += await postBatch(workerData.collector, maxBatchRequest(next++));
    parentPort.postMessage({ events });
  }
  parentPort.postMessage({ events, done: true });
} catch (error) {
  parentPort.postMessage({ events, error: String(error?.stack ?? error) });
}
