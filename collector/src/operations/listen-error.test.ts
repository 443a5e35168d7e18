import { describe, expect, it } from "vitest";
import { listenErrorMessage } from "./listen-error.ts";

const failure = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("listen errors", () => {
  it("names the setting that fixes each common cause", () => {
    expect(listenErrorMessage(failure("EADDRINUSE"), "0.0.0.0", 8080)).toBe(
      "port 8080 is already in use on 0.0.0.0: set PORT to a free port, or stop the program using it",
    );
    expect(listenErrorMessage(failure("EACCES"), "::", 80)).toBe(
      "not allowed to listen on [::]:80 (ports below 1024 need privileges): set PORT to 1024 or above",
    );
    expect(listenErrorMessage(failure("EADDRNOTAVAIL"), "10.9.9.9", 8080)).toContain("set HOST");
    expect(listenErrorMessage(failure("EMFILE", "too many open files"), "0.0.0.0", 8080)).toBe(
      "cannot listen on 0.0.0.0:8080: too many open files",
    );
  });
});
