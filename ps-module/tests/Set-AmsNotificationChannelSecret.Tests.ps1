#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsNotificationChannelSecret, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsNotificationChannelSecret' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'sends the secret on stdin, never in argv' {
        (Get-Command Set-AmsNotificationChannelSecret).Parameters['Secret'].ParameterType | Should -Be ([System.Security.SecureString])
        $null = Set-AmsNotificationChannelSecret -Name 'Mail' -Secret (New-AmsTestSecureString 'SmtpCanary42') -Confirm:$false
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'notification-channel set-secret --name Mail'
        $call.Stdin | Should -BeExactly "SmtpCanary42`n"
    }
}
