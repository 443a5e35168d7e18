/**
 * One line telling the operator why the collector could not listen and which setting fixes it,
 * instead of Node's EADDRINUSE stack.
 */
export function listenErrorMessage(error: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (error.code) {
    case "EADDRINUSE":
      return `port ${port} is already in use on ${host}: set PORT to a free port, or stop the program using it`;
    case "EACCES":
      return `not allowed to listen on ${where} (ports below 1024 need privileges): set PORT to 1024 or above`;
    case "EADDRNOTAVAIL":
      return `${host} is not an address of this machine: set HOST (0.0.0.0 listens on every address)`;
    default:
      return `cannot listen on ${where}: ${error.message}`;
  }
}
