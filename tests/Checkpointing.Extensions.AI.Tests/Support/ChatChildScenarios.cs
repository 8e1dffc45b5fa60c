using Microsoft.Extensions.AI;

namespace Checkpointing.Extensions.AI.Tests.Support;

/// <summary>Child-process scenarios for the middleware's crash test.</summary>
public static class ChatChildScenarios
{
    public const string ThreeCalls = "chat-three-calls";

    /// <summary>
    /// <c>chat-three-calls &lt;dir&gt; &lt;stop-after-calls&gt;</c>: one stage asking three questions through an
    /// <see cref="IChatClient"/> built with <c>UseCheckpointing()</c>. Every paid call prints <c>paid &lt;n&gt;</c> once
    /// its answer has been returned (so written ahead); after <c>stop-after-calls</c> paid calls the child prints it and
    /// waits, for the test to SIGKILL it. 0 runs to the end and prints <c>done</c>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var stopAfter = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var model = new CountingChatClient();
        using var client = new ChatClientBuilder(model).UseCheckpointing(o => o.OutsideStage = OutsideStageBehavior.Throw).Build();
        await using var manager = new CheckpointManager("CARD-CHAT", new FileSystemCheckpointRepository(args[0]));
        await manager.ResumeOrCreateAsync(totalStages: 1);
        var answers = await manager.RunStageAsync("analysis", async (_, token) =>
        {
            var texts = new List<string>();
            for (var i = 1; i <= 3; i++)
            {
                var response = await client.GetResponseAsync($"question {i}", new ChatOptions { ModelId = "gpt-4o" }, token);
                texts.Add(response.Text);
                await Console.Out.WriteLineAsync($"answer {i}: {response.Text} (paid {model.Calls})");
                if (model.Calls > 0 && model.Calls == stopAfter)
                {
                    await Console.Out.WriteLineAsync($"paid {model.Calls}");
                    await Console.Out.FlushAsync(token);
                    await Task.Delay(Timeout.Infinite, token);   // the test kills the process here
                }
            }

            return texts;
        });
        await Console.Out.WriteLineAsync($"paid {model.Calls}");
        await Console.Out.WriteLineAsync($"answers {string.Join(" | ", answers)}");
        await Console.Out.WriteLineAsync("done");
        return 0;
    }
}
