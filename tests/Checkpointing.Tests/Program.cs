using Checkpointing.Tests.Support;

namespace Checkpointing.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of a crash test
/// (<c>dotnet Checkpointing.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ChildProcessMain.RunAsync(args, Find);

    private static Task<int>? Find(string scenario, string[] args) => scenario switch
    {
        ReflectionFreeChildScenario.Name => ReflectionFreeChildScenario.RunAsync(args),
        _ when scenario.StartsWith("pipeline-", StringComparison.Ordinal) => PipelineChildScenarios.RunAsync(scenario, args),
        _ => ChildScenarios.Find(scenario, args),
    };
}
