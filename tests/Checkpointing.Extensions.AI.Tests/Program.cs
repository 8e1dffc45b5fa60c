using Checkpointing.Extensions.AI.Tests.Support;

namespace Checkpointing.Extensions.AI.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of the crash test
/// (<c>dotnet Checkpointing.Extensions.AI.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) =>
        args switch
        {
            ["child", var scenario, .. var rest] => ChatChildScenarios.RunAsync(scenario, rest),
            _ => Task.FromResult(2),
        };
}
