"""Notices to the operators' chats named by ADMIN_CHAT_IDS: rejected digests and dropped work."""
