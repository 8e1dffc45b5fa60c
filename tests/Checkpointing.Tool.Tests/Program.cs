using System.Globalization;
using Checkpointing.Tests.Support;
using Checkpointing.Tool.Tests.Support;

namespace Checkpointing.Tool.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process (<c>dotnet Checkpointing.Tool.Tests.dll child
/// write-card ...</c>), the pipeline another process runs while the tool reads; the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ChildProcessMain.RunAsync(args, Find);

    private static Task<int>? Find(string scenario, string[] args) => (scenario, args) switch
    {
        ("write-card", [var store, var cardId, var stages]) => CardWriter.RunAsync(store, cardId, int.Parse(stages, CultureInfo.InvariantCulture)),
        _ => null,
    };
}
