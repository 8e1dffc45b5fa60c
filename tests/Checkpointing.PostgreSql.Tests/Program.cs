using Checkpointing.PostgreSql.Tests.Support;
using Checkpointing.Tests.Support;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of the fleet test
/// (<c>dotnet Checkpointing.PostgreSql.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ChildProcessMain.RunAsync(args, ChildScenarios.Find);
}
