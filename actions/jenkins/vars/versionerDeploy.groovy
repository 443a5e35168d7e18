/**
 * Wraps a deploy: versionerDeploy(environment: 'production') { sh './deploy.sh' }
 * reports `started`, runs the body, then reports `completed`, or `failed` (and rethrows), or
 * `aborted` when the build is interrupted (aborted by a user, a timeout, a lost agent).
 * Options and examples: versionerDeploy.txt.
 */
def call(Map config = [:], Closure body) {
  if (config.containsKey('status')) {
    error('versionerDeploy: status is not an option; the step reports started, then the outcome of its body')
  }
  versionerTrackDeployment(config + [status: 'started'])
  def result
  try {
    result = body()
  } catch (InterruptedException interruption) {
    // FlowInterruptedException (abort, timeout) extends InterruptedException.
    reportOutcome(config, 'aborted')
    throw interruption
  } catch (Throwable failure) {
    reportOutcome(config, 'failed')
    throw failure
  }
  versionerTrackDeployment(config + [status: 'completed'])
  return result
}

/** Reports the outcome of a failed or aborted body without hiding why the body stopped. */
void reportOutcome(Map config, String status) {
  try {
    versionerTrackDeployment(config + [status: status])
  } catch (Throwable reportError) {
    echo "versionerDeploy: could not report ${status} to Versioner: ${reportError.message}"
  }
}
