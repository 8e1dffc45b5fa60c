using System.CommandLine;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Stores;

namespace Checkpointing.Tool.Commands;

/// <summary><c>clear &lt;card&gt;</c> and <c>compact &lt;card&gt;</c>: the library's calls, made as the card's owner.</summary>
internal static class CardWriteCommands
{
    public static Command CreateClear() => Create(
        "clear",
        "Delete a card's checkpoint and every change recorded for it (as ClearCheckpointAsync).",
        async (repository, cardId, cancellationToken) =>
        {
            await repository.DeleteAsync(cardId, cancellationToken).ConfigureAwait(false);
            return $"cleared '{cardId}'";
        });

    public static Command CreateCompact() => Create(
        "compact",
        "Fold every recorded change of a card into one complete stored document (as CompactAsync).",
        async (repository, cardId, cancellationToken) =>
        {
            await repository.CompactAsync(cardId, cancellationToken).ConfigureAwait(false);
            return $"compacted '{cardId}'";
        });

    private static Command Create(string name, string description, Func<ICheckpointRepository, string, CancellationToken, Task<string>> write)
    {
        var store = ToolOptions.Store();
        var card = ToolOptions.Card();
        var command = new Command(name, description + " Refused while another process owns the card.") { card, store };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cardId = parse.GetValue(card)!;
            await using var opened = OpenStore.Open(StoreSpec.Resolve(parse.GetValue(store)));
            var ownership = await opened.Repository.AcquireOwnershipAsync(cardId, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            string done;
            await using (ownership.ConfigureAwait(false))
            {
                if (!await opened.Repository.ExistsAsync(cardId, cancellationToken).ConfigureAwait(false))
                {
                    throw new CheckpointNotFoundException(cardId, opened.Spec.Display);
                }

                done = await write(opened.Repository, cardId, cancellationToken).ConfigureAwait(false);
            }

            Console.Out.WriteLine($"{done} in {opened.Spec.Display}");
            return ExitCodes.Success;
        });
        return command;
    }
}
