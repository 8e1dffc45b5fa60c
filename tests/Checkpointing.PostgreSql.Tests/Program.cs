using Checkpointing.PostgreSql.Tests.Support;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of the fleet test
/// (<c>dotnet Checkpointing.PostgreSql.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) =>
        args is ["child", var scenario, .. var rest]
            ? ChildScenarios.RunAsync(scenario, rest)
            : Task.FromResult(Usage());

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Checkpointing.PostgreSql.Tests child <scenario> [args...]");
        return 2;
    }
}
