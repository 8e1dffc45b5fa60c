namespace Checkpointing;

/// <summary>What <see cref="CheckpointingChatClient"/> does with a call made outside any <see cref="CheckpointManager.RunStageAsync{T}"/>.</summary>
public enum OutsideStageBehavior
{
    /// <summary>The call goes to the inner client, uncached (the default).</summary>
    PassThrough,

    /// <summary>The call throws <see cref="InvalidOperationException"/>: every call of this client must be durable.</summary>
    Throw,
}
