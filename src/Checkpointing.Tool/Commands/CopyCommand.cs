using System.CommandLine;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Output;
using Checkpointing.Tool.Stores;

namespace Checkpointing.Tool.Commands;

/// <summary>
/// <c>copy &lt;card&gt;... | --all --to &lt;store&gt;</c>: copies runs between any two stores, version and content preserved.
/// Each card is copied whole or not at all; an existing card in the target is refused unless <c>--overwrite</c>.
/// </summary>
internal static class CopyCommand
{
    public static Command Create()
    {
        var store = ToolOptions.Store();
        var cards = new Argument<string[]>("cards") { Description = "The cards to copy.", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Copy every card of the source store." };
        var to = new Option<string>("--to") { Description = "The target store: file:<dir>, sqlite:<path> or postgres:<connection string>.", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a card the target already has (by default that is refused)." };
        var command = new Command("copy", "Copy runs between any two stores, version and content preserved; refuses to overwrite an existing card unless --overwrite.")
        {
            cards, store, all, to, overwrite,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var given = parse.GetValue(cards) ?? [];
            var copyAll = parse.GetValue(all);
            if (copyAll == (given.Length > 0))
            {
                throw new UsageException("name the cards to copy, or pass --all (not both).");
            }

            var sourceSpec = StoreSpec.Resolve(parse.GetValue(store));
            var targetSpec = StoreSpec.Parse(parse.GetValue(to)!, "--to");
            if (sourceSpec == targetSpec)
            {
                throw new UsageException($"--to names the source store itself ({sourceSpec.Display}); copy into another store.");
            }

            await using var source = OpenStore.Open(sourceSpec);
            await using var target = OpenStore.Open(targetSpec, mayCreate: true);
            var ids = copyAll ? [.. (await source.Repository.ListCardIdsAsync(cancellationToken).ConfigureAwait(false)).Order(StringComparer.Ordinal)] : given;
            var refused = 0;
            foreach (var id in ids)
            {
                try
                {
                    var copied = await CheckpointCopy.CopyAsync(source.Repository, target.Repository, id, parse.GetValue(overwrite), cancellationToken).ConfigureAwait(false);
                    Console.Out.WriteLine($"copied '{id}' (version {copied.Version}, {Formats.Status(copied.Status)}) to {target.Spec.Display}");
                }
                catch (CheckpointConflictException conflict)
                {
                    refused++;
                    ErrorOutput.Line($"'{id}' not copied: {target.Spec.Display} already has it (version {conflict.StoredVersion}); pass --overwrite to replace it.");
                }
                catch (Exception ex) when (ErrorReport.Describe(ex) is { ExitCode: ExitCodes.Problem } report && ex is not OperationCanceledException)
                {
                    refused++;
                    ErrorOutput.Line($"'{id}' not copied: {report.Message}");
                }
            }

            Console.Out.WriteLine($"{ids.Length - refused} of {ids.Length} cards copied from {source.Spec.Display} to {target.Spec.Display}");
            return refused == 0 ? ExitCodes.Success : ExitCodes.Problem;
        });
        return command;
    }
}
