using Checkpointing.Extensions.AI.Tests.Support;
using Checkpointing.Tests.Support;

namespace Checkpointing.Extensions.AI.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of the crash test
/// (<c>dotnet Checkpointing.Extensions.AI.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) =>
        ChildProcessMain.RunAsync(args, (scenario, rest) => scenario == ChatChildScenarios.ThreeCalls && rest.Length == 2 ? ChatChildScenarios.RunAsync(rest) : null);
}
