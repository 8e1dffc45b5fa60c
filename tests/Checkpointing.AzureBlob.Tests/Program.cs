using Checkpointing.AzureBlob.Tests.Support;

namespace Checkpointing.AzureBlob.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of a crash test
/// (<c>dotnet Checkpointing.AzureBlob.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) =>
        args is ["child", var scenario, .. var rest]
            ? ChildScenarios.RunAsync(scenario, rest)
            : Task.FromResult(Usage());

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Checkpointing.AzureBlob.Tests child <scenario> [args...]");
        return 2;
    }
}
