using Checkpointing;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="CheckpointingChatClient"/> to a chat client pipeline.</summary>
public static class CheckpointingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the checkpointing middleware: inside <see cref="CheckpointManager.RunStageAsync{T}"/> every call is paid
    /// once and its response written ahead in the running stage. Place it inside function invocation
    /// (<c>.UseFunctionInvocation().UseCheckpointing()</c>) so each round trip to the model is cached on its own.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Changes the middleware's settings.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseCheckpointing(this ChatClientBuilder builder, Action<CheckpointingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner =>
        {
            var options = new CheckpointingChatClientOptions();
            configure?.Invoke(options);
            return new CheckpointingChatClient(inner, options);
        });
    }
}
