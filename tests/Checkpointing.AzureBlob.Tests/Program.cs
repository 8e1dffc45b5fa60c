using Checkpointing.AzureBlob.Tests.Support;
using Checkpointing.Tests.Support;

namespace Checkpointing.AzureBlob.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process of a kill or lease test
/// (<c>dotnet Checkpointing.AzureBlob.Tests.dll child &lt;scenario&gt; ...</c>); the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ChildProcessMain.RunAsync(args, ChildScenarios.Find);
}
