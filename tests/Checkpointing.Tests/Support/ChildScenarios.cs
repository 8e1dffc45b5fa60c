namespace Checkpointing.Tests.Support;

/// <summary>Scenarios a crash test runs in a real child process; each reports progress on stdout, one line per durable step.</summary>
public static class ChildScenarios
{
    public static async Task<int> RunAsync(string scenario, string[] args)
    {
        switch (scenario)
        {
            case "noop":
                await Console.Out.WriteLineAsync("ready");
                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown scenario '{scenario}'");
                return 2;
        }
    }
}
