using System.CommandLine;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Output;
using Checkpointing.Tool.Stores;

namespace Checkpointing.Tool.Commands;

/// <summary><c>rewind &lt;card&gt; --from &lt;stage&gt;</c>: that stage and every stage recorded after it run again on the next resume.</summary>
internal static class RewindCommand
{
    public static Command Create()
    {
        var store = ToolOptions.Store();
        var card = ToolOptions.Card();
        var from = new Option<string>("--from") { Description = "The first stage to run again.", Required = true };
        var drop = new Option<bool>("--drop-llm-cache") { Description = "Forget the LLM answers of the rewound stages, so they are asked (and paid for) again." };
        var dryRun = ToolOptions.DryRun();
        var command = new Command("rewind", "Make a stage and every stage recorded after it run again on the next resume; their LLM answers stay cached unless --drop-llm-cache.")
        {
            card, store, from, drop, dryRun,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cardId = parse.GetValue(card)!;
            var stage = parse.GetValue(from)!;
            var options = new RewindOptions { DropLlmResponses = parse.GetValue(drop), DryRun = parse.GetValue(dryRun) };
            await using var opened = OpenStore.Open(StoreSpec.Resolve(parse.GetValue(store)));
            RewindResult result;
            var manager = new CheckpointManager(cardId, opened.Repository, new CheckpointManagerOptions { LockTimeout = TimeSpan.Zero });
            await using (manager.ConfigureAwait(false))
            {
                try
                {
                    result = await manager.RewindAsync(stage, options, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex) when (ex.ParamName == "fromStage")
                {
                    throw new CheckpointException(ex.Message.Replace(" (Parameter 'fromStage')", string.Empty, StringComparison.Ordinal), ex);
                }
            }

            var verb = result.Applied ? "rewound" : "would rewind (dry run, nothing changed)";
            Console.Out.WriteLine(
                $"{verb} card '{cardId}' from stage '{stage}': {string.Join(", ", result.Stages)} run again on the next resume; "
                + $"{Formats.Count(result.LlmResponsesKept, "LLM response")} kept cached, {result.LlmResponsesDropped} dropped; "
                + $"status {result.Checkpoint.Status.ToString().ToLowerInvariant()}, version {result.Checkpoint.Version}");
            return ExitCodes.Success;
        });
        return command;
    }
}
