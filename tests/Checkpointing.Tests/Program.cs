using Checkpointing.Tests.Support;

namespace Checkpointing.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of a crash test
/// (<c>dotnet Checkpointing.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) =>
        args switch
        {
            ["child", ReflectionFreeChildScenario.Name, .. var rest] => ReflectionFreeChildScenario.RunAsync(rest),
            ["child", var scenario, .. var rest] when scenario.StartsWith("pipeline-", StringComparison.Ordinal) =>
                PipelineChildScenarios.RunAsync(scenario, rest),
            ["child", var scenario, .. var rest] => ChildScenarios.RunAsync(scenario, rest),
            _ => Task.FromResult(Usage()),
        };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Checkpointing.Tests child <scenario> [args...]");
        return 2;
    }
}
