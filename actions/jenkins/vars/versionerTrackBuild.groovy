import org.versioner.jenkins.VersionerCli

/**
 * Records a build in Versioner: versionerTrackBuild(status: 'completed').
 * Options and examples: versionerTrackBuild.txt.
 */
def call(Map config = [:]) {
  new VersionerCli(this).track('versionerTrackBuild', 'build', [status: 'completed'] + config)
}
