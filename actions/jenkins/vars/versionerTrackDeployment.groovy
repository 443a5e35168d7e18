import org.versioner.jenkins.VersionerCli

/**
 * Records a deployment event in Versioner:
 * versionerTrackDeployment(environment: 'production', status: 'completed').
 * Options and examples: versionerTrackDeployment.txt.
 */
def call(Map config = [:]) {
  new VersionerCli(this).track('versionerTrackDeployment', 'deployment', [status: 'completed'] + config)
}
