namespace Checkpointing.Tests.Support;

/// <summary>
/// The entry point of every test assembly that runs itself as a real child process for a crash, kill or freeze test:
/// <c>dotnet &lt;tests&gt;.dll child &lt;scenario&gt; [args...]</c>. The test runner never calls it.
/// </summary>
/// <remarks>
/// A scenario reports progress on stdout, one line per step that returned, and exits 0 when it ran to its end;
/// an unknown scenario exits <see cref="UsageError"/>; an exception is written to stderr and exits <see cref="Failed"/>.
/// </remarks>
public static class ChildProcessMain
{
    /// <summary>Exit code of a scenario that ran into an unexpected error.</summary>
    public const int Failed = 1;

    /// <summary>Exit code of a command line that names no known scenario.</summary>
    public const int UsageError = 2;

    /// <summary>Runs the scenario that <paramref name="find"/> returns for the command line.</summary>
    /// <param name="args">The command line: <c>child &lt;scenario&gt; [args...]</c>.</param>
    /// <param name="find">Starts the named scenario with its arguments, or returns <see langword="null"/> when it knows no such scenario.</param>
    /// <returns>The scenario's exit code.</returns>
    public static async Task<int> RunAsync(string[] args, Func<string, string[], Task<int>?> find)
    {
        if (args is not ["child", var scenario, .. var rest])
        {
            await Console.Error.WriteLineAsync("usage: dotnet <test assembly> child <scenario> [args...]");
            return UsageError;
        }

        try
        {
            if (find(scenario, rest) is not { } run)
            {
                await Console.Error.WriteLineAsync($"unknown scenario '{scenario}' or its arguments: {string.Join(' ', rest)}");
                return UsageError;
            }

            return await run;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"scenario '{scenario}' failed: {ex}");
            return Failed;
        }
    }
}
