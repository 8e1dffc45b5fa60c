using Checkpointing.Tool.Tests.Support;

namespace Checkpointing.Tool.Tests;

/// <summary>
/// Entry point used only when the test assembly runs as a child process (<c>dotnet Checkpointing.Tool.Tests.dll child
/// write-card ...</c>), the pipeline another process runs while the tool reads; the test runner never calls it.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) =>
        args is ["child", "write-card", var store, var cardId, var stages]
            ? CardWriter.RunAsync(store, cardId, int.Parse(stages, System.Globalization.CultureInfo.InvariantCulture))
            : Task.FromResult(Usage());

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Checkpointing.Tool.Tests child write-card <file:dir|sqlite:path> <card> <stages>");
        return 2;
    }
}
