using System.CommandLine;
using Checkpointing.Tool.Cli;
using Checkpointing.Tool.Stores;

namespace Checkpointing.Tool.Commands;

/// <summary><c>export &lt;card&gt;</c>: the merged checkpoint as JSON in the Python manager's layout.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var store = ToolOptions.Store();
        var card = ToolOptions.Card();
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of stdout (replaced atomically)." };
        var command = new Command("export", "The merged checkpoint (snapshot plus journal or change rows) as JSON in the Python manager's layout.")
        {
            card, store, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var opened = OpenStore.Open(StoreSpec.Resolve(parse.GetValue(store)));
            var checkpoint = await CardLoader.LoadOneAsync(opened, parse.GetValue(card)!, cancellationToken).ConfigureAwait(false);
            var json = CheckpointJson.SerializeCheckpoint(checkpoint, indented: true);
            if (parse.GetValue(output) is { } path)
            {
                var full = Path.GetFullPath(path);
                var temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
                await File.WriteAllBytesAsync(temp, json, cancellationToken).ConfigureAwait(false);
                File.Move(temp, full, overwrite: true);
            }
            else
            {
                using var stdout = Console.OpenStandardOutput();
                await stdout.WriteAsync(json, cancellationToken).ConfigureAwait(false);
                await stdout.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
